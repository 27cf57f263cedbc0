"""An example third-party cosmossl plugin."""

"""The plugin machinery: the hook specification, the host, the component registry, the factory."""

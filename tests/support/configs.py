"""Small run files used by several tests."""

#: A tiny training run on the built-in simulator (16² maps, 2 epochs); format with run_dir.
TINY_RUN = """
name = "tiny"
seed = 3
device = "cpu"
run_dir = "{run_dir}"

[dataset]
type = "lognormal"
n_cosmologies = 16
n_simulations = 2
n_pixels = 16
split = [0.5, 0.25, 0.25]

[[augmentations]]
type = "d4"

[encoder]
type = "cnn"
summary_dim = 4
width = 4
depth = 2
hidden_dim = 8

[loss]
type = "vicreg"

[train]
epochs = 2
batch_size = 4
tensorboard = false
"""

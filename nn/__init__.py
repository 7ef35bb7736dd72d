"""glassgrad's nn: modules, layers, losses, optimizers and training, built on autograd."""

# install rules (below)

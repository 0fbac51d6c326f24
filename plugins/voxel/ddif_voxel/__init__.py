"""ddif-voxel: 3-D occupancy grids (ModelNet10/40, ShapeNet-Part, mesh folders, offline primitives) for ddif."""

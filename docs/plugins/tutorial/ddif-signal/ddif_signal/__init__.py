"""ddif-signal: 1-D signals (UCR time-series archive layout) as a ddif modality (the plugin tutorial)."""

"""Built-in distillation losses."""

"""The one version shared by ddif-core and the plugins that ship with it."""

__version__ = "0.1.0"

"""Figures drawn with matplotlib: ``ax=None`` in, the Axes out, never ``plt.show()``."""

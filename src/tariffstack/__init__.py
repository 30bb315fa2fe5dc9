"""tariffstack: Canada–U.S. tariff stacks, with the law as data and one vectorized evaluation path."""

__version__ = "0.1.0"

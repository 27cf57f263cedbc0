"""Toolkit for simulator and statistic plugins: cosmology, Gaussian/lognormal fields, the
analytic Fisher limit of a field."""

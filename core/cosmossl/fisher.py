"""cosmossl 0.1.0's ``cosmossl.fisher``, deprecated: import from cosmossl.information (the
estimator) and cosmossl.physics.fisher_limit (the analytic limit).

Each of its 0.1.0 names still works here, with a DeprecationWarning, until cosmossl 0.3.0.
"""

from cosmossl._util.moved import shim_attributes

__getattr__, __dir__ = shim_attributes(__name__)

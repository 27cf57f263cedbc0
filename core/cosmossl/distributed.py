"""cosmossl 0.1.0's ``cosmossl.distributed``, deprecated: import from cosmossl.nn.

Each of its 0.1.0 names still works here, with a DeprecationWarning, until cosmossl 0.3.0.
"""

from cosmossl._util.moved import shim_attributes

__getattr__, __dir__ = shim_attributes(__name__)

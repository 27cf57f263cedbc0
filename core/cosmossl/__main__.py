"""``python -m cosmossl`` (also the entry for ``torchrun -m cosmossl train``)."""

import sys

from cosmossl.cli import main

sys.exit(main())

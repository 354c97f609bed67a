"""`python -m mana_core_auth.migrations`: apply pending migrations under the
advisory lock; exits with `piccolo migrations forwards all`'s status."""

import sys

from mana_core_auth.migrations.lock import main

sys.exit(main())

"""Start the CNN Workbench desktop app."""

import sys

from workbench.gui.app import main

if __name__ == "__main__":
    sys.exit(main(sys.argv))

"""Start the CNN Workbench desktop app."""

import sys

if __name__ == "__main__":
    try:
        from workbench.gui.app import main
    except KeyboardInterrupt:  # Ctrl-C while the libraries load: one line, no traceback
        print("interrupted", file=sys.stderr)
        sys.exit(130)
    sys.exit(main(sys.argv))

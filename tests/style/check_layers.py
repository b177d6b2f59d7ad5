#!/usr/bin/env python3
"""The layers of host/ (docs/architecture.md, "Layers"): which folder may not include which.
host/hub reaches the plugins only through its slot seam, and config and plugins know nothing
of each other; host/reload and host/daemon are where they meet. Prints each forbidden
include as file:line and exits 1 if there is any."""
import re
import sys
from pathlib import Path

FORBIDDEN = {
    'hub': ['plugins/', 'reload/', 'daemon/'],
    'config': ['plugins/', 'reload/', 'hub/', 'daemon/'],
    'plugins': ['config/', 'reload/', 'hub/', 'daemon/'],
    'sio': ['hub/', 'plugins/', 'config/', 'reload/', 'daemon/'],
    'log': ['hub/', 'plugins/', 'config/', 'reload/', 'daemon/', 'sio/'],
    'auth': ['hub/', 'plugins/', 'config/', 'reload/', 'daemon/', 'sio/'],
}
INCLUDE = re.compile(r'^\s*#\s*include\s+"([^"]+)"')


def main(host):
    bad = 0
    for folder, forbidden in FORBIDDEN.items():
        for path in sorted((Path(host) / folder).rglob('*.[ch]pp')):
            for number, line in enumerate(path.read_text().splitlines(), 1):
                m = INCLUDE.match(line)
                if m and any(m.group(1).startswith(f) for f in forbidden):
                    print(f'{path}:{number}: host/{folder} includes "{m.group(1)}"')
                    bad += 1
    print(f'{bad} includes across the layers' if bad else f'{host}: the layers hold')
    return 1 if bad else 0


if __name__ == '__main__':
    sys.exit(main(sys.argv[1] if len(sys.argv) > 1 else 'host'))

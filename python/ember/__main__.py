"""`python -m ember ...` runs the `ember` command-line tool.

The CLI is a C++ executable installed with the package (into the scripts
folder of the environment, next to `python`). This module finds it and
replaces the current process with it, so both spellings behave the same;
`EMBER_CLI` overrides the location (the build tree's `ember` binary, say).
"""
import os
import shutil
import sys
import sysconfig


def _find_cli() -> str:
    override = os.environ.get("EMBER_CLI")
    if override:
        return override
    names = ["ember.exe", "ember"] if os.name == "nt" else ["ember"]
    folders = [os.path.dirname(sys.executable), sysconfig.get_path("scripts"),
               sysconfig.get_path("scripts", f"{os.name}_user")]
    # Build tree: <build>/python/ember/__main__.py with <build>/ember.
    folders.append(os.path.dirname(os.path.dirname(os.path.dirname(os.path.abspath(__file__)))))
    for folder in folders:
        for name in names:
            candidate = os.path.join(folder or "", name)
            if os.path.isfile(candidate) and os.access(candidate, os.X_OK):
                return candidate
    found = shutil.which("ember")
    if found:
        return found
    raise SystemExit("ember: the `ember` command-line tool was not found "
                     "(reinstall the package or set EMBER_CLI)")


def main() -> None:
    """Replaces this process with the `ember` CLI, passing on `sys.argv[1:]`.

    Raises:
        SystemExit: If the CLI is not found.
    """
    cli = _find_cli()
    os.execv(cli, [cli] + sys.argv[1:])


if __name__ == "__main__":
    main()

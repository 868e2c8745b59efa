"""ctest fixture: `start FILE` starts one shared stack and writes its URL and
data folder to FILE (JSON); `stop FILE` stops it. Tests find it through
ATRIUM_TEST_STACK_FILE (see harness.Stack.from_env)."""
import json
import os
import sys

sys.path.insert(0, os.path.dirname(__file__))
from harness import Stack  # noqa: E402


def main():
    action, path = sys.argv[1], sys.argv[2]
    if action == "start":
        if os.path.exists(path):
            # a previous run that died without its cleanup: stop it first
            try:
                old = json.load(open(path))
                Stack(old["url"], old["data_dir"], True).stop()
            except (OSError, ValueError, KeyError):
                pass
        stack = Stack.start()
        with open(path, "w") as f:
            json.dump({"url": stack.url, "data_dir": stack.data_dir}, f)
        print("stack at", stack.url, "data in", stack.data_dir)
    elif action == "stop":
        if not os.path.exists(path):
            return
        info = json.load(open(path))
        Stack(info["url"], info["data_dir"], True).stop()
        os.unlink(path)
    else:
        sys.exit("usage: stack_fixture.py start|stop FILE")


if __name__ == "__main__":
    main()

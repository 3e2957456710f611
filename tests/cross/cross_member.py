"""The Python member of the cross-language recipes test, as a child process of its own (so
the test can SIGKILL it like the C and Java members): the same line protocol as
cross_member.c and CrossMember.java (see test_cross.py), for the commands the recipes test
uses.

    python cross_member.py <redis-url> <group> <my-member-id> [session-timeout-ms]
"""

from __future__ import annotations

import sys
from typing import Optional

import group_redis


def main() -> int:
    url, group, me = sys.argv[1:4]
    timeout = float(sys.argv[4]) / 1000 if len(sys.argv) > 4 else None
    options = {} if timeout is None else {"session_timeout": timeout}
    conn = group_redis.connect(url, group=group, member_id=me, **options)
    leadership: Optional[group_redis.Leadership] = None
    assignment: Optional[group_redis.Assignment] = None
    print("OK READY", flush=True)
    for line in sys.stdin:
        words = line.split()
        if not words:
            continue
        command = words[0]
        try:
            if command == "QUIT":
                break
            elif command == "JOIN":
                conn.join(payload={"language": "python"})
                answer = "OK JOIN"
            elif command == "CAMPAIGN":
                leadership = conn.elect(words[1])
                answer = "OK CAMPAIGN"
            elif command == "ASSIGN":
                assignment = conn.assignments(words[1], words[2].split(","))
                answer = "OK ASSIGN"
            elif command == "LEADER" and leadership is not None:
                answer = f"OK LEADER {leadership.token() or 0}"
            elif command == "SHARE" and assignment is not None:
                share = assignment.share()
                answer = f"OK SHARE {share.epoch} {','.join(share.ids) or '-'}"
            elif command == "MEMBERS":
                members = [
                    f"{m.id}:{int(m.online)}:{(m.payload or {}).get('language')}" for m in conn.members()
                ]
                answer = "OK MEMBERS " + " ".join(members)
            elif command == "ONLINE":
                conn.set_online(online=words[1] == "1")
                answer = "OK ONLINE"
            else:
                answer = f"FAIL unknown command {command}"
        except group_redis.GroupRedisError as err:
            answer = f"FAIL {command} {err!r}"
        print(answer, flush=True)
    if assignment is not None:
        assignment.close()
    if leadership is not None:
        leadership.close()
    conn.close()
    return 0


if __name__ == "__main__":
    sys.exit(main())

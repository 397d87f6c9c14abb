"""Subprocess worker for the crash-safety tests: starts an operation, says "IN_TX" from inside
its transaction, then sleeps so the parent can SIGKILL it mid-transaction."""

import sys
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parents[2]))


def pause_here(*_args, **_kwargs):
    print("IN_TX", flush=True)
    time.sleep(60)


def main(op: str, db_path: str, arg: str = "") -> None:
    from survey.store import open_db

    db = open_db(db_path)
    if op == "import":
        import pandas as pd

        from survey import frames

        frame = pd.read_pickle(arg)

        def slow_cells(*args):  # inside store_frame's transaction, after deactivation and the upsert
            pause_here()

        frames.write_cells = frames.write_cells_from_codes = slow_cells
        frames.store_frame(db, frame, by="crash-test")
    elif op == "import-chunks":  # killed between the short transactions that add the new customers
        import pandas as pd

        from survey import frame_apply, frames

        frame = pd.read_pickle(arg)
        frame_apply.COMMIT_ROWS = 400
        real_beat, beats = frame_apply._beat, {"n": 0}

        def slow_beat(db, batch):  # the third chunk's transaction: two chunks are committed
            beats["n"] += 1
            real_beat(db, batch)
            if beats["n"] == 3:
                pause_here()

        frame_apply._beat = slow_beat
        frames.store_frame(db, frame, by="crash-test")
    elif op == "draw":
        from survey import draws, rounds

        draws.audit = pause_here  # the last statement inside draw_round's transaction (in draws.record_round)
        rounds.draw_round(db, size=int(arg), created_by="crash-test")
    elif op == "submit":
        from survey import responses

        real_encode = responses.encode_value
        calls = {"n": 0}

        def slow_encode(question, value):  # after the response row is inserted, before its answers
            calls["n"] += 1
            if calls["n"] == 3:
                pause_here()
            return real_encode(question, value)

        responses.encode_value = slow_encode
        from survey.demo import EXAMPLE_ANSWERS

        answers = dict(EXAMPLE_ANSWERS)
        responses.submit_response(db, arg, answers)
    print("DONE", flush=True)


if __name__ == "__main__":
    main(*sys.argv[1:])

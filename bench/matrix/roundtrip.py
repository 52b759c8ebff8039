#!/usr/bin/env python3
"""Round trip of `!position iran` as a Matrix user sees it, with a real client (matrix-nio)
against a real Synapse and a release `dossier serve`, all on 127.0.0.1.

    bench/matrix/run.sh          (N=100 commands after 10 warm-up ones, one at a time)

The user sends each command and waits, in its own sync loop, for the bot's reply to it. Legs,
from the user's clock and Synapse's event timestamps (one machine, one clock):
  send      the user's PUT /send until Synapse's 200,
  to bot    the command's origin_server_ts until the reply's origin_server_ts (the bot's
            sync waking, answering, and its send being accepted),
  back      the reply's origin_server_ts until the user's sync hands it over.
Prints median, p90, p99 and max of each, and of the whole round trip.

Arguments: SYNAPSE_URL REGISTRATION_SECRET DOSSIER_BIN BRIEFINGS N
"""

import asyncio
import hashlib
import hmac
import json
import os
import statistics
import subprocess
import sys
import tempfile
import time
import urllib.request

from nio import AsyncClient, RoomMessageText, RoomMessageNotice


def register(url, secret, user, password):
    nonce = json.load(urllib.request.urlopen(f"{url}/_synapse/admin/v1/register"))["nonce"]
    mac = hmac.new(secret.encode(), digestmod=hashlib.sha1)
    mac.update(f"{nonce}\0{user}\0{password}\0notadmin".encode())
    body = json.dumps({"nonce": nonce, "username": user, "password": password,
                       "admin": False, "mac": mac.hexdigest()}).encode()
    req = urllib.request.Request(f"{url}/_synapse/admin/v1/register", body,
                                 {"content-type": "application/json"})
    return json.load(urllib.request.urlopen(req))


def pct(xs, p):
    xs = sorted(xs)
    return xs[min(len(xs) - 1, int(round(p / 100 * (len(xs) - 1))))]


async def main():
    url, secret, dossier, briefings, n = sys.argv[1:6]
    n = int(n)
    command = os.environ.get("COMMAND", "!position iran")
    register(url, secret, "dossier", "bot-password")
    register(url, secret, "alice", "alice-password")
    work = tempfile.mkdtemp()
    with open(f"{work}/dossier.toml", "w") as f:
        f.write(f'briefings = "{briefings}"\nstate = "{work}/state"\n'
                f'[matrix]\nhomeserver = "{url}"\nuser = "@dossier:localhost"\n'
                f'store = "{work}/state/matrix"\nautojoin = true\n')
        if os.environ.get("CHARTS") == "off":
            f.write('[charts]\nenabled = false\n')
    env = dict(os.environ, MATRIX_PASSWORD="bot-password", RUST_LOG=os.environ.get("BOT_LOG", "warn"))
    if dossier == "echo":
        # The floor: a matrix-nio bot that answers each command with one line at once.
        bot = subprocess.Popen([sys.executable, __file__, "echo-bot", url])
    else:
        bot = subprocess.Popen([dossier, "serve", "--config", f"{work}/dossier.toml"], env=env)
    try:
        alice = AsyncClient(url, "@alice:localhost")
        await alice.login("alice-password")
        room = (await alice.room_create(name="briefing", invite=["@dossier:localhost"])).room_id
        sync = await alice.sync(timeout=0)
        since = sync.next_batch
        # Wait until the bot has joined.
        deadline = time.time() + 60
        while time.time() < deadline:
            members = await alice.joined_members(room)
            if any(m.user_id == "@dossier:localhost" for m in members.members):
                break
            await asyncio.sleep(0.2)
        else:
            raise SystemExit("the bot never joined")

        replies = asyncio.Queue()

        def on_event(r, ev):
            if ev.sender == "@dossier:localhost":
                replies.put_nowait((time.time(), ev))

        alice.add_event_callback(on_event, (RoomMessageText, RoomMessageNotice))

        async def syncing():
            nonlocal since
            while True:
                s = await alice.sync(timeout=30000, since=since)
                since = getattr(s, "next_batch", since)

        loop = asyncio.create_task(syncing())
        rows = []
        pause = int(os.environ.get("PAUSE_MS", "0")) / 1000
        for i in range(n + 10):
            if pause:
                await asyncio.sleep(pause)
            t0 = time.time()
            sent = await alice.room_send(room, "m.room.message",
                                         {"msgtype": "m.text", "body": command})
            t1 = time.time()
            while True:
                got, ev = await asyncio.wait_for(replies.get(), 30)
                rel = ev.source.get("content", {}).get("m.relates_to", {})
                if rel.get("m.in_reply_to", {}).get("event_id") == sent.event_id:
                    break
            cmd = await alice.room_get_event(room, sent.event_id)
            cmd_ts = cmd.event.server_timestamp / 1000
            reply_ts = ev.server_timestamp / 1000
            if i >= 10:
                rows.append({"round trip": got - t0, "send": t1 - t0,
                             "to bot": reply_ts - cmd_ts, "back": got - reply_ts})
        loop.cancel()
        print(f"{n} x {command}, one at a time (after 10 warm-up), {pause * 1000:.0f} ms between a reply and the next command; reply {len(json.dumps(ev.source))} bytes")
        print(f"{'leg':<12}{'median':>10}{'p90':>10}{'p99':>10}{'max':>10}   (ms)")
        for leg in ["round trip", "send", "to bot", "back"]:
            xs = [r[leg] * 1000 for r in rows]
            print(f"{leg:<12}{statistics.median(xs):>10.1f}{pct(xs, 90):>10.1f}"
                  f"{pct(xs, 99):>10.1f}{max(xs):>10.1f}")
        await alice.close()
    finally:
        bot.terminate()
        bot.wait(10)


async def echo_bot(url):
    bot = AsyncClient(url, "@dossier:localhost")
    await bot.login("bot-password")

    async def on_invite(room, ev):
        await bot.join(room.room_id)

    async def on_message(room, ev):
        if ev.sender != bot.user_id and ev.body.startswith("!"):
            await bot.room_send(room.room_id, "m.room.message", {
                "msgtype": "m.notice", "body": "echo",
                "m.relates_to": {"m.in_reply_to": {"event_id": ev.event_id}}})

    from nio import InviteMemberEvent
    bot.add_event_callback(on_invite, InviteMemberEvent)
    first = await bot.sync(timeout=0)
    bot.add_event_callback(on_message, RoomMessageText)
    await bot.sync_forever(timeout=30000, since=first.next_batch)


if sys.argv[1] == "echo-bot":
    asyncio.run(echo_bot(sys.argv[2]))
else:
    asyncio.run(main())

"""The media benchmark's measuring side (scripts/bench-media): N callers' RTP sockets, the calls
that make a media engine play a looped prompt to them, and the engine's CPU while it does.

  media-bench.py edge      --pid PID --base PORT --calls N --seconds S --sipp-args ...
  media-bench.py rtpengine --pid PID --base PORT --calls N --seconds S --ng HOST:PORT --file WAV

Either prints one JSON line: calls that heard the prompt, packets per call per second, and the
engine's CPU (percent of one core) over the measured seconds, once every call is playing.
"""
import json, os, random, selectors, socket, subprocess, sys, threading, time

args = sys.argv[2:]
def option(name, default=None):
    if f"--{name}" in args: return args[args.index(f"--{name}") + 1]
    if default is None: sys.exit(f"media-bench: --{name} is required")
    return default

PID, BASE, CALLS, SECONDS = int(option("pid")), int(option("base")), int(option("calls")), int(option("seconds"))
TICKS = os.sysconf("SC_CLK_TCK")

class Sinks:
    """One UDP socket per caller (even ports from BASE), counting what each receives."""
    def __init__(self):
        self.counts = [0] * CALLS
        self.selector = selectors.DefaultSelector()
        self.sockets = []
        for i in range(CALLS):
            s = socket.socket(socket.AF_INET, socket.SOCK_DGRAM)
            s.setsockopt(socket.SOL_SOCKET, socket.SO_RCVBUF, 1 << 20)
            s.bind(("127.0.0.1", BASE + 2 * i))
            s.setblocking(False)
            self.selector.register(s, selectors.EVENT_READ, i)
            self.sockets.append(s)
        self.running = True
        threading.Thread(target=self.receive, daemon=True).start()
    def receive(self):
        while self.running:
            for key, _ in self.selector.select(timeout=0.2):
                while True:
                    try: key.fileobj.recv(2048)
                    except BlockingIOError: break
                    self.counts[key.data] += 1
    def playing(self): return sum(1 for c in self.counts if c > 0)

def cpu_seconds(pid):
    fields = open(f"/proc/{pid}/stat").read().rsplit(")", 1)[1].split()
    return (int(fields[11]) + int(fields[12])) / TICKS  # utime + stime

def measure(sinks, what):
    deadline = time.time() + 60
    while sinks.playing() < CALLS and time.time() < deadline: time.sleep(0.2)
    time.sleep(1)  # every call in its steady state
    before, counts, start = cpu_seconds(PID), list(sinks.counts), time.time()
    time.sleep(SECONDS)
    used, elapsed = cpu_seconds(PID) - before, time.time() - start
    received = [b - a for a, b in zip(counts, sinks.counts)]
    print(json.dumps({"engine": what, "calls": CALLS, "playing": sum(1 for r in received if r > 0),
                      "packetsPerCallPerSecond": round(sum(received) / CALLS / elapsed, 1),
                      "cpuPercent": round(100 * used / elapsed, 1)}), flush=True)

from ng import ng, sdp  # rtpengine's control protocol

def rtpengine():
    host, port = option("ng").split(":")
    address, wav = (host, int(port)), option("file")
    control = socket.socket(socket.AF_INET, socket.SOCK_DGRAM)
    control.settimeout(5)
    sinks = Sinks()
    for i in range(CALLS):
        call = f"bench-{i}"
        # The caller (its sink) offers; the callee answers from a port nobody reads; `play media` with the
        # caller's tag plays to the caller (measured: its sinks receive 50 packets a second).
        ng(control, address, {"command": "offer", "call-id": call, "from-tag": "caller", "sdp": sdp(BASE + 2 * i)})
        ng(control, address, {"command": "answer", "call-id": call, "from-tag": "caller", "to-tag": "callee", "sdp": sdp(BASE + 2 * CALLS + 2 * i)})
        ng(control, address, {"command": "play media", "call-id": call, "from-tag": "caller", "file": wav, "repeat-times": 1000})
    measure(sinks, "rtpengine")
    for i in range(CALLS):
        ng(control, address, {"command": "delete", "call-id": f"bench-{i}", "from-tag": "caller"})

def edge():
    sinks = Sinks()
    sipp = subprocess.Popen(args[args.index("--sipp-args") + 1:], stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    measure(sinks, "sip-edge")
    sipp.wait(timeout=120)

{"edge": edge, "rtpengine": rtpengine}[sys.argv[1]]()

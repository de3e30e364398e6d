"""The recorded-calls benchmark's measuring side (scripts/bench-recording): N calls, each with two
parties whose RTP this script sends and receives (a 440 Hz tone from the caller, 1 kHz from the
callee, 20 ms PCMU packets both ways), through a media engine that records every call; and the CPU
the engine (and its recorder) use while it does.

  recording-bench.py edge      --pids EDGE,RECORDING --base PORT --calls N --seconds S --sipp-callee ... --sipp-caller ...
  recording-bench.py rtpengine --pids RTPENGINE --base PORT --calls N --seconds S --ng HOST:PORT

Either prints one JSON line: calls whose both parties heard each other, packets per party per
second, and CPU (percent of one core) of each measured process over the measured seconds.
sip-edge learns nothing from this script but SIP: the parties learn the edge's ports from the
recording notice it plays to both, as phones do from SDP.
"""
import json, math, os, selectors, socket, struct, subprocess, sys, threading, time
from ng import ng, sdp

args = sys.argv[2:]
def option(name, default=None):
    if f"--{name}" in args: return args[args.index(f"--{name}") + 1]
    if default is None: sys.exit(f"recording-bench: --{name} is required")
    return default

PIDS = [int(p) for p in option("pids").split(",")]
BASE, CALLS, SECONDS = int(option("base")), int(option("calls")), int(option("seconds"))
TICKS = os.sysconf("SC_CLK_TCK")

def ulaw(sample):
    """G.711 µ-law of a 16-bit sample."""
    sign = 0x80 if sample < 0 else 0
    magnitude = min(abs(sample), 32635) + 0x84
    exponent = max(e for e in range(8) if magnitude >= (0x84 << e)) if magnitude >= 0x84 else 0
    mantissa = (magnitude >> (exponent + 3)) & 0x0F
    return ~(sign | (exponent << 4) | mantissa) & 0xFF

def tone(frequency):
    """One second of a tone as 50 payloads of 160 µ-law bytes."""
    samples = [int(8000 * math.sin(2 * math.pi * frequency * n / 8000)) for n in range(8000)]
    return [bytes(ulaw(s) for s in samples[i:i + 160]) for i in range(0, 8000, 160)]

class Parties:
    """Two UDP sockets per call (caller at BASE + 4i, callee at BASE + 4i + 2): what each receives
    is counted, and where the engine's packets come from is where it sends its own."""
    def __init__(self):
        self.selector = selectors.DefaultSelector()
        self.sockets, self.counts, self.peers = [], [], []
        for i in range(2 * CALLS):
            s = socket.socket(socket.AF_INET, socket.SOCK_DGRAM)
            s.setsockopt(socket.SOL_SOCKET, socket.SO_RCVBUF, 1 << 20)
            s.bind(("127.0.0.1", BASE + 2 * i))
            s.setblocking(False)
            self.selector.register(s, selectors.EVENT_READ, i)
            self.sockets.append(s); self.counts.append(0); self.peers.append(None)
        self.running = True
        threading.Thread(target=self.receive, daemon=True).start()

    def receive(self):
        while self.running:
            for key, _ in self.selector.select(timeout=0.2):
                while True:
                    try: _, source = key.fileobj.recvfrom(2048)
                    except BlockingIOError: break
                    self.counts[key.data] += 1
                    if self.peers[key.data] is None: self.peers[key.data] = source

    def send(self, stop):
        """Every party with a peer talks in its tone, paced by the clock."""
        frames = [tone(440), tone(1000)]
        ssrc = [0x1000 + i for i in range(2 * CALLS)]
        start, tick = time.time(), 0
        while not stop.is_set():
            for i, peer in enumerate(self.peers):
                if peer is None: continue
                header = struct.pack("!BBHII", 0x80, 0, tick & 0xFFFF, (tick * 160) & 0xFFFFFFFF, ssrc[i])
                try: self.sockets[i].sendto(header + frames[i % 2][tick % 50], peer)
                except OSError: pass
            tick += 1
            time.sleep(max(0, start + tick * 0.02 - time.time()))

    def talking(self): return sum(1 for i in range(CALLS) if self.counts[2 * i] > 0 and self.counts[2 * i + 1] > 0)

def cpu_seconds(pid):
    fields = open(f"/proc/{pid}/stat").read().rsplit(")", 1)[1].split()
    return (int(fields[11]) + int(fields[12])) / TICKS  # utime + stime

def measure(parties, what):
    deadline = time.time() + 90
    while (sum(1 for p in parties.peers if p) < 2 * CALLS) and time.time() < deadline: time.sleep(0.2)
    stop = threading.Event()
    sender = threading.Thread(target=parties.send, args=(stop,), daemon=True)
    sender.start()
    time.sleep(3)  # past every notice: every call relayed and recorded
    before, counts, start = [cpu_seconds(p) for p in PIDS], list(parties.counts), time.time()
    time.sleep(SECONDS)
    used, elapsed = [cpu_seconds(p) - b for p, b in zip(PIDS, before)], time.time() - start
    received = [b - a for a, b in zip(counts, parties.counts)]
    stop.set(); sender.join()
    both = sum(1 for i in range(CALLS) if received[2 * i] > 0 and received[2 * i + 1] > 0)
    return {"engine": what, "calls": CALLS, "relayed": both, "packetsPerPartyPerSecond": round(sum(received) / (2 * CALLS) / elapsed, 1),
            "cpuPercent": [round(100 * u / elapsed, 1) for u in used]}

def edge():
    parties = Parties()
    callee = subprocess.Popen(args[args.index("--sipp-callee") + 1:args.index("--sipp-caller")], stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    time.sleep(0.5)
    caller = subprocess.Popen(args[args.index("--sipp-caller") + 1:], stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    result = measure(parties, "sip-edge")
    result["sippCaller"], result["sippCallee"] = caller.wait(timeout=300), callee.wait(timeout=300)
    print(json.dumps(result), flush=True)

def rtpengine():
    host, port = option("ng").split(":")
    address = (host, int(port))
    control = socket.socket(socket.AF_INET, socket.SOCK_DGRAM)
    control.settimeout(5)
    parties = Parties()
    for i in range(CALLS):
        call = f"rec-{i}"
        offer = ng(control, address, {"command": "offer", "call-id": call, "from-tag": "caller", "sdp": sdp(BASE + 4 * i)})
        answer = ng(control, address, {"command": "answer", "call-id": call, "from-tag": "caller", "to-tag": "callee", "sdp": sdp(BASE + 4 * i + 2)})
        ng(control, address, {"command": "start recording", "call-id": call, "from-tag": "caller"})
        # Each party sends to the port rtpengine offered it.
        parties.peers[2 * i + 1] = ("127.0.0.1", port_of(offer["sdp"]))
        parties.peers[2 * i] = ("127.0.0.1", port_of(answer["sdp"]))
    result = measure(parties, "rtpengine")
    for i in range(CALLS):
        ng(control, address, {"command": "delete", "call-id": f"rec-{i}", "from-tag": "caller"})
    print(json.dumps(result), flush=True)

def port_of(description):
    return int(next(line for line in description.decode().split("\r\n") if line.startswith("m=audio")).split()[1])

{"edge": edge, "rtpengine": rtpengine}[sys.argv[1]]()

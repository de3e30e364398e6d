"""The SIP capacity search of `make bench` (scripts/bench-sip runs it once per system).

A step offers one rate for STEP seconds with SIPp. It passes when SIPp created every call, < 1 %
failed (calls still unfinished when SIPp gives up count as failed) and SIPp's response time p99 is
under 50 ms; a rate passes when one of two tries of its step does. The search starts low, multiplies the rate by 1.5 while steps pass, then bisects between
the last pass and the first failure. The CPU of every process of the system under test (utime +
stime from /proc, SIPp excluded) is read around each step. At the end: the capacity's step again
at half the rate (its p99), and twice the capacity (goodput: what still completes per second).

    sip-bench.py register|calls --target 127.0.0.1:25060 --procs sip-edge,routing,postgres,tansu ...
prints one JSON object.
"""
import argparse, csv, glob, json, os, shutil, subprocess, sys, time

TICKS = os.sysconf("SC_CLK_TCK")


def pids_of(names):
    found = []
    for entry in os.listdir("/proc"):
        if not entry.isdigit():
            continue
        try:
            comm = open(f"/proc/{entry}/comm").read().strip()
        except OSError:
            continue
        if comm in names:
            found.append(int(entry))
    return found


def cpu_seconds(names):
    """CPU time of every live process with one of these names (threads included)."""
    total = 0
    for pid in pids_of(names):
        try:
            fields = open(f"/proc/{pid}/stat").read().rsplit(")", 1)[1].split()
            total += int(fields[11]) + int(fields[12])  # utime, stime
        except (OSError, IndexError, ValueError):
            pass
    return total / TICKS


def idle(names, seconds):
    before = cpu_seconds(names)
    time.sleep(seconds)
    return (cpu_seconds(names) - before) / seconds


class Search:
    def __init__(self, args):
        self.args = args
        self.names = [name[:15] for name in args.procs.split(",")]  # comm holds 15 characters
        self.steps = []

    def run_step(self, rate, seconds=None):
        seconds = seconds or self.args.step
        folder = os.path.join(self.args.work, f"step-{len(self.steps):02d}-{rate}")
        os.makedirs(folder)
        count = max(1, int(rate * seconds))
        limit = max(100, int(rate * (self.args.hold + 1) * 3))
        command = ["sipp", self.args.target, "-sf", self.args.scenario, "-inf", self.args.users,
                   "-r", str(rate), "-m", str(count), "-l", str(limit), "-buff_size", "4194304",
                   "-mp", str(self.args.media_port), "-p", str(self.args.port), "-i", "127.0.0.1", "-nostdin",
                   "-trace_rtt", "-rtt_freq", "1", "-trace_stat", "-fd", "1", "-timeout", f"{seconds + 20}s",
                   "-timeout_error"]
        if self.args.hold:
            command += ["-d", str(int(self.args.hold * 1000))]
        rejected_before = self.metric(self.args.rejections_metric)
        cpu_before, start = cpu_seconds(self.names), time.time()
        subprocess.run(command, cwd=folder, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL, timeout=seconds + 60)
        elapsed = time.time() - start
        cpu = cpu_seconds(self.names) - cpu_before
        rejected = self.metric(self.args.rejections_metric) - rejected_before if rejected_before is not None else None
        created = ok = failed = 0
        stats = glob.glob(os.path.join(folder, "*_.csv"))
        if stats:
            rows = list(csv.reader(open(stats[0]), delimiter=";"))
            header, last = rows[0], rows[-1]
            created = int(last[header.index("TotalCallCreated")])
            ok = int(last[header.index("SuccessfulCall(C)")])
            failed = int(last[header.index("FailedCall(C)")])
        failed = max(failed, created - ok)
        rtts = []
        for path in glob.glob(os.path.join(folder, "*_rtt.csv")):
            for row in csv.reader(open(path), delimiter=";"):
                try:
                    rtts.append(float(row[1]))
                except (ValueError, IndexError):
                    pass
        rtts.sort()
        pct = lambda p: rtts[min(len(rtts) - 1, int(len(rtts) * p))] if rtts else float("inf")
        step = {"rate": rate, "offered": count, "created": created, "ok": ok, "failed": failed,
                "p50_ms": pct(0.5), "p99_ms": pct(0.99), "cpu_s": round(cpu, 3), "elapsed_s": round(elapsed, 1),
                "cpu_us_per_op": round(cpu / ok * 1e6) if ok else None,
                # Completions over the time SIPp took for them (a backlog stretches a step past STEP s).
                "goodput": round(ok / max(seconds, elapsed), 1),
                "rejected_503": rejected}
        step["passed"] = created >= count and failed < 0.01 * count and step["p99_ms"] < 50
        self.steps.append(step)
        print(json.dumps(step), file=sys.stderr, flush=True)
        if not self.args.keep:
            shutil.rmtree(folder, ignore_errors=True)
        time.sleep(self.args.settle)
        return step

    def metric(self, name):
        """A counter summed over the system's /metrics endpoints, or None without any."""
        if not name or not self.args.metrics:
            return None
        import urllib.request
        total = 0.0
        for url in self.args.metrics.split(","):
            try:
                for line in urllib.request.urlopen(url, timeout=5).read().decode().splitlines():
                    if line.startswith(name) and not line.startswith("#"):
                        total += float(line.split()[-1])
            except OSError:
                return None
        return total

    def passes(self, rate):
        """A step, run once more when it fails: one latency spike (a checkpoint) does not end a search."""
        step = self.run_step(rate)
        return step if step["passed"] else self.run_step(rate)

    def search(self):
        # A first step warms the system up (connections, caches, consumer fetch sessions); not counted.
        self.run_step(self.args.start)
        self.steps[-1]["warm_up"] = True
        rate, best, worst = self.args.start, None, None
        while rate <= self.args.max:
            step = self.passes(rate)
            if not step["passed"]:
                worst = rate
                break
            best = step
            rate = int(rate * 1.5)
        low = best["rate"] if best else 0
        high = worst or rate
        for _ in range(self.args.bisect):
            if high - low <= max(5, low * 0.04):
                break
            middle = (low + high) // 2
            step = self.passes(middle)
            if step["passed"]:
                best, low = step, middle
            else:
                high = middle
        return best


def main():
    parser = argparse.ArgumentParser()
    parser.add_argument("workload", choices=["register", "calls"])
    parser.add_argument("--target", required=True)
    parser.add_argument("--procs", required=True, help="process names whose CPU counts, comma-separated")
    parser.add_argument("--scenario", required=True)
    parser.add_argument("--users", required=True, help="SIPp injection file")
    parser.add_argument("--work", required=True)
    parser.add_argument("--port", type=int, default=26100)
    parser.add_argument("--media-port", type=int, default=26000)
    parser.add_argument("--hold", type=float, default=0, help="seconds each call lasts")
    parser.add_argument("--start", type=int, default=100)
    parser.add_argument("--max", type=int, default=40000)
    parser.add_argument("--step", type=int, default=5)
    parser.add_argument("--bisect", type=int, default=4)
    parser.add_argument("--settle", type=float, default=2)
    parser.add_argument("--idle-seconds", type=float, default=10)
    parser.add_argument("--metrics", default="", help="/metrics URLs with the rejection counter")
    parser.add_argument("--rejections-metric", default="")
    parser.add_argument("--keep", action="store_true")
    args = parser.parse_args()
    args.scenario, args.users, args.work = map(os.path.abspath, (args.scenario, args.users, args.work))
    os.makedirs(args.work, exist_ok=True)
    search = Search(args)
    result = {"workload": args.workload}
    best = search.search()
    result["capacity"] = best
    if best:
        result["half"] = search.run_step(max(1, best["rate"] // 2))
        result["overload"] = search.run_step(best["rate"] * 2)
    # Idle once the load and everything it left behind (consumers catching up, the outbox) settled.
    if args.idle_seconds:
        time.sleep(10)
        result["idle_cores"] = round(idle(search.names, args.idle_seconds), 4)
    result["steps"] = search.steps
    print(json.dumps(result))


if __name__ == "__main__":
    main()

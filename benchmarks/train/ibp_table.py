#!/usr/bin/env python3
"""IBP-verified accuracy at eps of the example networks on FashionMNIST test images, computed by
`prunecert verify --engine bounds --method ibp` (the verifier's own IBP, independent of the
trainer's), one call per image:
    python3 benchmarks/train/ibp_table.py [--build build] [--first 1000] [--eps 0.1] NET.onnx...
A sample counts as verified when verify answers unsat for its label: the IBP lower bound of every
margin f_label - f_i over the L-inf ball of radius eps (clipped to [0,1]) is positive, which
includes the centre, so the sample is also classified correctly."""
import argparse, gzip, json, os, struct, subprocess, sys, tempfile, time

ROOT = os.path.dirname(os.path.dirname(os.path.dirname(os.path.abspath(__file__))))
DATA = "/usr/share/datasets/fashion-mnist"


def idx(path):
    with gzip.open(path, "rb") as f:
        raw = f.read()
    dims = raw[3]
    shape = struct.unpack(">" + "I" * dims, raw[4:4 + 4 * dims])
    return shape, raw[4 + 4 * dims:]


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("--build", default=os.path.join(ROOT, "build"))
    ap.add_argument("--first", type=int, default=1000)
    ap.add_argument("--eps", type=float, default=0.1)
    ap.add_argument("nets", nargs="+")
    a = ap.parse_args()
    (n, h, w), pixels = idx(os.path.join(DATA, "t10k-images-idx3-ubyte.gz"))
    _, labels = idx(os.path.join(DATA, "t10k-labels-idx1-ubyte.gz"))
    d = h * w
    pc = os.path.join(a.build, "prunecert")
    print(f"| network | IBP-verified at eps {a.eps} (first {a.first} test images) | time |")
    print("| --- | --- | --- |")
    with tempfile.TemporaryDirectory() as tmp:
        point = os.path.join(tmp, "x.txt")
        for net in a.nets:
            verified = 0
            t0 = time.time()
            for i in range(a.first):
                with open(point, "w") as f:
                    f.write(" ".join(repr(p / 255.0) for p in pixels[i * d:(i + 1) * d]))
                out = subprocess.run([pc, "verify", "--net", net, "--input", point, "--label", str(labels[i]),
                                      "--eps", str(a.eps), "--clip", "0,1", "--engine", "bounds", "--method", "ibp",
                                      "--json"], capture_output=True, text=True)
                if out.returncode != 0:
                    sys.exit(f"prunecert failed on sample {i}: {out.stderr.strip()}")
                verified += json.loads(out.stdout)["verdict"] == "unsat"
            print(f"| {os.path.basename(net)} | {100 * verified / a.first:.1f}% | {time.time() - t0:.0f} s |", flush=True)


if __name__ == "__main__":
    main()

"""Map a wasm function over inputs on many processes, or many machines.

A compiled `ember.Module` pickles (its serialized code, its binary and its
engine's settings), so it travels to worker processes like any Python
value and runs there without compiling again.

    python3 examples/parallel_map.py            # a ProcessPoolExecutor
    python3 examples/parallel_map.py --dask     # a dask.distributed LocalCluster

Both print the same list as the local run they are compared with.
"""
import argparse
import concurrent.futures
import sys
from typing import List

import ember

COLLATZ = """(module (func (export "steps") (param $n i64) (result i32) (local $k i32)
  (block $done (loop $next
    (br_if $done (i64.le_u (local.get $n) (i64.const 1)))
    (local.set $n (if (result i64) (i64.eqz (i64.rem_u (local.get $n) (i64.const 2)))
      (then (i64.div_u (local.get $n) (i64.const 2)))
      (else (i64.add (i64.mul (local.get $n) (i64.const 3)) (i64.const 1)))))
    (local.set $k (i32.add (local.get $k) (i32.const 1)))
    (br $next)))
  (local.get $k)))"""


def steps(module: ember.Module, n: int) -> int:
    """Runs in a worker: a store of the module's engine, then one call."""
    store = ember.Store(module.engine)
    instance = ember.Instance(store, module, [])
    result: int = instance.exports(store)["steps"](store, n)
    return result


def main(argv: List[str]) -> int:
    ap = argparse.ArgumentParser(description="map a wasm function over many processes")
    ap.add_argument("--dask", action="store_true", help="use a dask.distributed LocalCluster")
    ap.add_argument("--workers", type=int, default=2)
    args = ap.parse_args(argv)

    module = ember.Module(ember.Engine(), COLLATZ)
    inputs = list(range(1, 200))
    local = [steps(module, n) for n in inputs]

    if args.dask:
        from dask.distributed import Client, LocalCluster
        with LocalCluster(n_workers=args.workers, threads_per_worker=1, processes=True,
                          dashboard_address=None) as cluster, Client(cluster) as client:
            shipped = client.scatter(module, broadcast=True)  # sent once per worker
            remote = client.gather(client.map(steps, [shipped] * len(inputs), inputs))
    else:
        with concurrent.futures.ProcessPoolExecutor(args.workers) as pool:
            remote = list(pool.map(steps, [module] * len(inputs), inputs, chunksize=20))

    print(remote)
    if remote != local:
        print("error: the workers' results differ from the local run", file=sys.stderr)
        return 1
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))

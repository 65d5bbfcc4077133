;; A wasm32-wasip1-threads program written by hand: what a small pthreads
;; program compiles to, without wasi-libc (Debian's cannot target
;; wasm32-wasip1-threads). spawn_sum.c is the same computation with real
;; pthreads; tests/python/test_wasi_threads.py checks that `ember run -S
;; threads` prints exactly what the native build prints.
;;
;; _start hands each of 4 threads a range of 500000 numbers through
;; wasi::thread-spawn. A thread sums k*k over its range, adds 1 to a shared
;; counter for every k (i32.atomic.rmw.add, so the threads contend), stores
;; its sum, counts itself done and notifies. _start waits on the done count
;; with memory.atomic.wait32, then prints each sum, the total and the counter.
;;
;; Memory (shared, imported as wasm-ld's output imports it):
;;     0  iovec {ptr, len} for fd_write     8  nwritten
;;    16  done: threads finished           20  counter
;;    32  sums[4], i64
;;    64  args[4], 24 bytes each: {index i32, pad, lo i64, hi i64}
;;   512  text (the passive segment, copied in by _start alone: every thread
;;        instantiates the module again, and active segments would be
;;        rewritten each time)
;;   900  digits scratch                1024  output buffer
(module
  (import "env" "memory" (memory 1 16 shared))
  (import "wasi" "thread-spawn" (func $thread_spawn (param i32) (result i32)))
  (import "wasi_snapshot_preview1" "fd_write"
    (func $fd_write (param i32 i32 i32 i32) (result i32)))
  (import "wasi_snapshot_preview1" "proc_exit" (func $proc_exit (param i32)))

  ;; "thread " @512 (7), ": sum=" @519 (6), "\n" @525 (1), "total=" @526 (6),
  ;; " counter=" @532 (9), "thread-spawn failed\n" @541 (20)
  (data $text "thread : sum=\ntotal= counter=thread-spawn failed\n")

  (global $out (mut i32) (i32.const 1024))

  (func $put (param $p i32) (param $n i32)
    (memory.copy (global.get $out) (local.get $p) (local.get $n))
    (global.set $out (i32.add (global.get $out) (local.get $n))))

  ;; Appends $v in decimal.
  (func $put_u64 (param $v i64) (local $p i32)
    (local.set $p (i32.const 940))
    (loop $digit
      (local.set $p (i32.sub (local.get $p) (i32.const 1)))
      (i64.store8 (local.get $p)
        (i64.add (i64.const 48) (i64.rem_u (local.get $v) (i64.const 10))))
      (local.set $v (i64.div_u (local.get $v) (i64.const 10)))
      (br_if $digit (i64.ne (local.get $v) (i64.const 0))))
    (call $put (local.get $p) (i32.sub (i32.const 940) (local.get $p))))

  (func $flush
    (i32.store (i32.const 0) (i32.const 1024))
    (i32.store (i32.const 4) (i32.sub (global.get $out) (i32.const 1024)))
    (drop (call $fd_write (i32.const 1) (i32.const 0) (i32.const 1) (i32.const 8)))
    (global.set $out (i32.const 1024)))

  (func (export "wasi_thread_start") (param $tid i32) (param $arg i32)
    (local $k i64) (local $hi i64) (local $sum i64)
    (local.set $k (i64.load offset=8 (local.get $arg)))
    (local.set $hi (i64.load offset=16 (local.get $arg)))
    (block $done
      (loop $next
        (br_if $done (i64.ge_u (local.get $k) (local.get $hi)))
        (local.set $sum (i64.add (local.get $sum) (i64.mul (local.get $k) (local.get $k))))
        (drop (i32.atomic.rmw.add (i32.const 20) (i32.const 1)))
        (local.set $k (i64.add (local.get $k) (i64.const 1)))
        (br $next)))
    (i64.store
      (i32.add (i32.const 32) (i32.shl (i32.load (local.get $arg)) (i32.const 3)))
      (local.get $sum))
    (drop (i32.atomic.rmw.add (i32.const 16) (i32.const 1)))
    (drop (memory.atomic.notify (i32.const 16) (i32.const 1))))

  ;; Fills args[$i] and spawns its thread; exits with 1 when that fails.
  (func $spawn (param $i i32) (local $arg i32)
    (local.set $arg (i32.add (i32.const 64) (i32.mul (local.get $i) (i32.const 24))))
    (i32.store (local.get $arg) (local.get $i))
    (i64.store offset=8 (local.get $arg)
      (i64.add (i64.mul (i64.extend_i32_u (local.get $i)) (i64.const 500000)) (i64.const 1)))
    (i64.store offset=16 (local.get $arg)
      (i64.add (i64.mul (i64.extend_i32_u (i32.add (local.get $i) (i32.const 1)))
                        (i64.const 500000))
               (i64.const 1)))
    (if (i32.lt_s (call $thread_spawn (local.get $arg)) (i32.const 1))
      (then
        (call $put (i32.const 541) (i32.const 20))
        (call $flush)
        (call $proc_exit (i32.const 1)))))

  ;; Waits until all 4 threads have counted themselves done.
  (func $join (local $d i32)
    (block $all
      (loop $wait
        (local.set $d (i32.atomic.load (i32.const 16)))
        (br_if $all (i32.eq (local.get $d) (i32.const 4)))
        (drop (memory.atomic.wait32 (i32.const 16) (local.get $d) (i64.const -1)))
        (br $wait))))

  (func (export "_start") (local $i i32) (local $sum i64) (local $total i64)
    (memory.init $text (i32.const 512) (i32.const 0) (i32.const 49))
    (loop $spawning
      (call $spawn (local.get $i))
      (local.set $i (i32.add (local.get $i) (i32.const 1)))
      (br_if $spawning (i32.lt_u (local.get $i) (i32.const 4))))
    (call $join)
    (local.set $i (i32.const 0))
    (loop $printing
      (local.set $sum (i64.load (i32.add (i32.const 32) (i32.shl (local.get $i) (i32.const 3)))))
      (local.set $total (i64.add (local.get $total) (local.get $sum)))
      (call $put (i32.const 512) (i32.const 7))
      (call $put_u64 (i64.extend_i32_u (local.get $i)))
      (call $put (i32.const 519) (i32.const 6))
      (call $put_u64 (local.get $sum))
      (call $put (i32.const 525) (i32.const 1))
      (local.set $i (i32.add (local.get $i) (i32.const 1)))
      (br_if $printing (i32.lt_u (local.get $i) (i32.const 4))))
    (call $put (i32.const 526) (i32.const 6))
    (call $put_u64 (local.get $total))
    (call $put (i32.const 532) (i32.const 9))
    (call $put_u64 (i64.extend_i32_u (i32.atomic.load (i32.const 20))))
    (call $put (i32.const 525) (i32.const 1))
    (call $flush)))

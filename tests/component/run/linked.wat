;; Two components linked inside a third: `$echo` exports a string function;
;; `$caller` imports one and calls it through `canon lower` with its own
;; memory and realloc, so a string crosses from one linear memory to the
;; other and back; `$counter` is instantiated twice (two instances, two
;; states). The outer component imports nothing.
(component
  (component $echo
    (core module $m
      (memory (export "memory") 1)
      (global $bump (mut i32) (i32.const 1024))
      (func (export "realloc") (param i32 i32 i32 i32) (result i32)
        (local $p i32)
        (local.set $p (global.get $bump))
        (global.set $bump (i32.add (global.get $bump) (i32.add (local.get 3) (i32.const 8))))
        (memory.copy (local.get $p) (local.get 0) (local.get 1))
        (local.get $p))
      (func (export "echo") (param i32 i32) (result i32)
        (i32.store (i32.const 16) (local.get 0))
        (i32.store (i32.const 20) (local.get 1))
        (i32.const 16)))
    (core instance $i (instantiate $m))
    (func (export "echo") (param "s" string) (result string)
      (canon lift (core func $i "echo") (memory (core memory $i "memory"))
        (realloc (core func $i "realloc")))))
  (component $caller
    (import "echo" (func $echo (param "s" string) (result string)))
    (core module $mem
      (memory (export "memory") 1)
      (global $bump (mut i32) (i32.const 2048))
      (func (export "realloc") (param i32 i32 i32 i32) (result i32)
        (local $p i32)
        (local.set $p (global.get $bump))
        (global.set $bump (i32.add (global.get $bump) (i32.add (local.get 3) (i32.const 8))))
        (memory.copy (local.get $p) (local.get 0) (local.get 1))
        (local.get $p)))
    (core instance $mi (instantiate $mem))
    (core func $echo-lowered (canon lower (func $echo) (memory (core memory $mi "memory"))
      (realloc (core func $mi "realloc"))))
    (core module $m
      (import "env" "memory" (memory 1))
      (import "env" "echo" (func $echo (param i32 i32 i32)))
      ;; Echoes the string twice over and returns the second copy's place.
      (func (export "twice") (param i32 i32) (result i32)
        (call $echo (local.get 0) (local.get 1) (i32.const 64))
        (call $echo (i32.load (i32.const 64)) (i32.load (i32.const 68)) (i32.const 72))
        (i32.const 72)))
    (core instance $env (export "memory" (memory $mi "memory")) (export "echo" (func $echo-lowered)))
    (core instance $i (instantiate $m (with "env" (instance $env))))
    (func (export "twice") (param "s" string) (result string)
      (canon lift (core func $i "twice") (memory (core memory $mi "memory"))
        (realloc (core func $mi "realloc")))))
  (component $counter
    (core module $m
      (global $n (mut i32) (i32.const 0))
      (func (export "next") (result i32)
        (global.set $n (i32.add (global.get $n) (i32.const 1)))
        (global.get $n)))
    (core instance $i (instantiate $m))
    (func (export "next") (result u32) (canon lift (core func $i "next"))))
  (instance $e (instantiate $echo))
  (instance $c (instantiate $caller (with "echo" (func $e "echo"))))
  (instance $one (instantiate $counter))
  (instance $two (instantiate $counter))
  (export "twice" (func $c "twice"))
  (export "one" (instance $one))
  (export "two" (instance $two)))

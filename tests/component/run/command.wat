;; A minimal WASI 0.2 command: `wasi:cli/run` writes "hello from a
;; command component\n" to stdout through wasi:cli/stdout and wasi:io/streams
;; and returns ok. `ember run` runs it in CTest (cli.run.component), with no
;; toolchain beyond wasm-tools (tests/component/build.sh).
(component
  (import "wasi:io/error@0.2.0" (instance $io-error
    (export "error" (type (sub resource)))))
  (alias export $io-error "error" (type $error))
  (import "wasi:io/streams@0.2.0" (instance $streams
    (alias outer 1 $error (type $e))
    (export "error" (type $err (eq $e)))
    (export "output-stream" (type $os (sub resource)))
    (type $se (variant (case "last-operation-failed" (own $err)) (case "closed")))
    (export "stream-error" (type $stream-error (eq $se)))
    (export "[method]output-stream.blocking-write-and-flush"
      (func (param "self" (borrow $os)) (param "contents" (list u8))
            (result (result (error $stream-error)))))))
  (alias export $streams "output-stream" (type $output-stream))
  (import "wasi:cli/stdout@0.2.0" (instance $stdout
    (alias outer 1 $output-stream (type $o))
    (export "output-stream" (type $os (eq $o)))
    (export "get-stdout" (func (result (own $os))))))

  (core module $Mem
    (memory (export "memory") 1)
    (data (i32.const 16) "hello from a command component\n"))
  (core instance $mem (instantiate $Mem))
  (alias core export $mem "memory" (core memory $memory))

  (core func $get-stdout (canon lower (func $stdout "get-stdout")))
  (core func $write (canon lower
    (func $streams "[method]output-stream.blocking-write-and-flush") (memory $memory)))
  (core func $drop-stream (canon resource.drop $output-stream))

  (core module $Main
    (import "host" "get-stdout" (func $get-stdout (result i32)))
    (import "host" "write" (func $write (param i32 i32 i32 i32)))
    (import "host" "drop-stream" (func $drop (param i32)))
    (import "host" "memory" (memory 1))
    (func (export "run") (result i32)
      (local $out i32)
      (local.set $out (call $get-stdout))
      ;; the result (discriminant at 0, payload after) goes to address 0
      (call $write (local.get $out) (i32.const 16) (i32.const 31) (i32.const 0))
      (call $drop (local.get $out))
      ;; ok when the write was ok, else err
      (i32.ne (i32.load8_u (i32.const 0)) (i32.const 0))))
  (core instance $main (instantiate $Main
    (with "host" (instance
      (export "get-stdout" (func $get-stdout))
      (export "write" (func $write))
      (export "drop-stream" (func $drop-stream))
      (export "memory" (memory $memory))))))

  (func $run (result (result)) (canon lift (core func $main "run")))
  (instance $run-instance (export "run" (func $run)))
  (export "wasi:cli/run@0.2.0" (instance $run-instance)))

;; Text-format details: quoted identifiers name the same thing as plain ones,
;; and a line comment ends at any newline (LF, CR, or CR LF).
(module
  (func $"add one" (export "f") (param $"x y" i32) (result i32)
    (i32.add (local.get $"x y") (i32.const 1)))
  (func (export "g") (result i32) (call $"add\20one" (i32.const 41)))
  (func $plain (result i32) (i32.const 7))
  (func (export "h") (result i32) (call $"plain"))
  (func (export "l") (result i32) (block $"out" (result i32) (br $out (i32.const 3))))
)
(assert_return (invoke "g") (i32.const 42))
(assert_return (invoke "h") (i32.const 7))
(assert_return (invoke "l") (i32.const 3))
(assert_malformed (module quote "(func $\"\")") "empty identifier")
(assert_malformed (module quote "(func $a) (func $\"a\")") "duplicate func")
(module quote
  "(func (export \"cr\") (result i32) (i32.const 1) ;; c\0d (return (i32.const 2)))")
(assert_return (invoke "cr") (i32.const 2))

;; Exception tags as entities: definitions, imports and exports, and import
;; matching by type (the instructions that throw come later).
(module $M
  (type $ii (func (param i32 i64)))
  (tag $a (export "a"))
  (tag $b (export "b") (param i32 i64))
  (tag (export "c") (type $ii))
  (export "b2" (tag $b))
  (func (export "f") (result i32) (i32.const 7))
)
(register "M" $M)
(module
  (import "M" "a" (tag))
  (tag (import "M" "b") (param i32 i64))
  (import "M" "c" (tag (param i32 i64)))
  (import "M" "b2" (tag $t (param i32 i64)))
  (tag $own (param f32))
  (export "own" (tag $own))
  (export "again" (tag $t))
)
(register "N")
;; A tag re-exported keeps its identity and type.
(module (import "N" "again" (tag (param i32 i64))))
(assert_unlinkable (module (import "M" "a" (tag (param i32)))) "incompatible import type")
(assert_unlinkable (module (import "M" "b" (tag (param i64 i32)))) "incompatible import type")
(assert_unlinkable (module (import "M" "f" (tag))) "incompatible import type")
(assert_unlinkable (module (import "M" "a" (func))) "incompatible import type")
(assert_invalid (module (tag (result i32))) "non-empty tag result type")
(assert_invalid (module (tag (param i32) (result i32))) "non-empty tag result type")
(assert_invalid (module (export "x" (tag 0))) "unknown tag")
(assert_invalid (module (tag) (export "x" (tag 0)) (export "x" (tag 0))) "duplicate export name")
;; The tag section sits between the memory and global sections.
(module binary
  "\00asm" "\01\00\00\00"
  "\01\04\01\60\00\00"        ;; type 0: [] -> []
  "\05\03\01\00\01"           ;; memory 1
  "\0d\03\01\00\00"           ;; tag section: one tag of type 0
  "\06\06\01\7f\00\41\00\0b"  ;; a global
  "\07\05\01\01\74\04\00"     ;; export "t" (tag 0)
)
(assert_malformed
  (module binary
    "\00asm" "\01\00\00\00"
    "\01\04\01\60\00\00"
    "\06\06\01\7f\00\41\00\0b"  ;; a global
    "\0d\03\01\00\00"           ;; tag section after it
  )
  "unexpected content after last section")
(assert_malformed
  (module binary
    "\00asm" "\01\00\00\00"
    "\01\04\01\60\00\00"
    "\0d\03\01\01\00"           ;; attribute 1: no such attribute
  )
  "malformed tag attribute")

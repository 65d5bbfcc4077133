;; invalid: canon option `memory` must be an unshared memory
(component
  (core module $m
    (memory (export "mem") 1 1 shared)
    (func (export "f")))
  (core instance $ci (instantiate $m))
  (func (canon lift (core func $ci "f") (memory (core memory $ci "mem")))))

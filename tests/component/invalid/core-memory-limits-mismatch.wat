;; invalid: type mismatch for import "env" "mem": mismatch in memory limits
(component
  (core module $a (memory (export "mem") 1))
  (core instance $ia (instantiate $a))
  (core module $m (import "env" "mem" (memory 2)))
  (core instance (instantiate $m (with "env" (instance $ia)))))

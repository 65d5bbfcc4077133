;; unsupported: a 64-bit memory in canon options is not supported yet
(component
  (import "f" (func $f (param "s" string)))
  (core module $m (memory (export "mem") i64 1))
  (core instance $i (instantiate $m))
  (alias core export $i "mem" (core memory $mem))
  (core func (canon lower (func $f) (memory $mem))))

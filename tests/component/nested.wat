;; A component inside a component, instantiated with an imported function;
;; outer aliases, export aliases, an imported core module and a component
;; type.
(component $outer
  (type $greeting (func (param "who" string) (result string)))
  (import "greet" (func $greet (type $greeting)))
  (import "plugin" (core module $plugin
    (export "run" (func (result i32)))))
  (core instance $p (instantiate $plugin))
  (component $inner
    (alias outer $outer $greeting (type $g))
    (import "hello" (func $hello (type $g)))
    (export "hi" (func $hello)))
  (instance $in (instantiate $inner (with "hello" (func $greet))))
  (alias export $in "hi" (func $hi))
  (type $ct (component
    (type $f (func (param "x" u32) (result u32)))
    (import "f" (func (type $f)))
    (export "g" (func (type $f)))))
  (import "factory" (component $factory (type $ct)))
  (export "hi" (func $hi))
  (export "factory" (component $factory))
)

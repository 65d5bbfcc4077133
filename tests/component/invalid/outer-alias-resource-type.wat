;; invalid: an outer alias may not bring a resource type into a component
(component $c
  (type $r (resource (rep i32)))
  (type $u (instance (export "a" (type (eq $r)))))
  (component (alias outer $c $u (type))))

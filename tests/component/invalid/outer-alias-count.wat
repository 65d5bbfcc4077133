;; invalid: outer alias count 3 out of range
(component
  (component (alias outer 3 0 (type))))

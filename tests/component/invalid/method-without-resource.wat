;; invalid: names no resource imported before it
(component
  (import "[method]thing.go" (func)))

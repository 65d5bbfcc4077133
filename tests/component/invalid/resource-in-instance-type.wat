;; invalid: resource types may not be defined in component or instance types
(component
  (type (instance (type (resource (rep i32))))))

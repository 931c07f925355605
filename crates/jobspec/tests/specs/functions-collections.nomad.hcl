# Collection functions; their results land in the free-form task config.
locals {
  sizes = { small = 1, large = 3, medium = 2 }
}

job "functions-collections" {
  datacenters = distinct(concat(["dc1"], ["dc2", "dc1"]))

  group "g" {
    count = length(local.sizes)

    task "t" {
      driver = "exec"
      config {
        command        = "echo"
        keys           = keys(local.sizes)
        values         = values(local.sizes)
        merged         = merge(local.sizes, { tiny = 0 })
        lookup         = lookup(local.sizes, "huge", 9)
        flatten        = flatten([[1, [2]], [3]])
        sort           = sort(["b", "c", "a"])
        reverse        = reverse([1, 2, 3])
        slice          = slice(["a", "b", "c", "d"], 1, 3)
        zipmap         = zipmap(["x", "y"], [1, 2])
        contains       = contains(["a"], "a")
        index          = index(["a", "b"], "b")
        element        = element(["a", "b"], 3)
        range          = range(1, 10, 3)
        chunklist      = chunklist([1, 2, 3, 4, 5], 2)
        coalesce       = coalesce("", null, "first")
        coalescelist   = coalescelist([], ["x"])
        compact        = compact(["a", "", "b"])
        union          = setunion(["b", "a"], ["c"])
        intersection   = setintersection(["a", "b"], ["b", "c"])
        product        = setproduct(["x", "y"], [1, 2])
        expanded       = max([3, 9, 4]...)
      }
    }
  }
}

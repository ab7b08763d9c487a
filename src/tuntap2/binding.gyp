{
  "targets": [
    {
      "target_name": "tuntap2",
      "sources": ["native/tuntap2.c"],
      "cflags": ["-O2", "-Wall", "-Wextra", "-Werror"],
      "cflags_c": ["-std=gnu11"]
    }
  ]
}

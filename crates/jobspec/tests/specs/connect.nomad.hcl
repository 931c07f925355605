# Consul Connect: sidecar service and task, upstreams with free-form config, expose paths,
# transparent proxy, and gateways.
job "mesh" {
  group "dashboard" {
    network {
      mode = "bridge"
      port "http" {
        static = 9002
        to     = 9002
      }
    }

    service {
      name = "count-dashboard"
      port = "9002"

      connect {
        sidecar_service {
          tags = ["mesh"]
          port = "20000"
          disable_default_tcp_check = true

          proxy {
            local_service_address = "127.0.0.1"
            local_service_port    = 9002

            config {
              protocol = "http"
            }

            upstreams {
              destination_name   = "count-api"
              local_bind_port    = 8080
              datacenter         = "dc2"
              destination_type   = "service"
              mesh_gateway {
                mode = "local"
              }
              config {
                connect_timeout_ms = 9999
              }
            }

            expose {
              path {
                path            = "/health"
                protocol        = "http"
                local_path_port = 9001
                listener_port   = "http"
              }
            }

            transparent_proxy {
              uid                    = "101"
              outbound_port          = 15001
              exclude_inbound_ports  = ["9000"]
              exclude_outbound_ports = [443, 8443]
              exclude_outbound_cidrs = ["10.0.0.0/8"]
              no_dns                 = true
            }
          }
        }

        sidecar_task {
          name   = "envoy"
          driver = "docker"
          kill_timeout = "10s"
          config {
            image = "envoyproxy/envoy:v1.29"
          }
          resources {
            cpu    = 50
            memory = 64
          }
          logs {
            max_files     = 2
            max_file_size = 5
          }
        }
      }
    }

    task "dashboard" {
      driver = "docker"
      config {
        image = "hashicorpdev/counter-dashboard:v3"
      }
    }
  }

  group "ingress" {
    service {
      name = "ingress"
      port = "8080"
      connect {
        gateway {
          proxy {
            connect_timeout = "5s"
            envoy_gateway_bind_tagged_addresses = true
            envoy_gateway_bind_addresses "public" {
              address = "0.0.0.0"
              port    = 8080
            }
          }
          ingress {
            tls {
              enabled         = true
              tls_min_version = "TLSv1_2"
              cipher_suites   = ["TLS_ECDHE_RSA_WITH_AES_128_GCM_SHA256"]
            }
            listener {
              port     = 8080
              protocol = "http"
              service {
                name  = "count-dashboard"
                hosts = ["dash.example.com"]
                request_headers {
                  add {
                    X-Gateway = "ingress"
                  }
                  remove = ["X-Debug"]
                }
              }
            }
          }
        }
      }
    }
  }

  group "terminating" {
    service {
      name = "terminating"
      connect {
        gateway {
          terminating {
            service {
              name    = "legacy-db"
              ca_file = "/etc/ca.pem"
              sni     = "db.internal"
            }
          }
        }
      }
    }
  }

  group "mesh-gateway" {
    service {
      name = "mesh-gateway"
      connect {
        native = false
        gateway {
          mesh {}
        }
      }
    }
  }
}

module spotguide.local/kubelet-shim

go 1.24

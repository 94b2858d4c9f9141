#!/bin/bash
# Runs a neuron command as a job of two "machines" on this one: two network namespaces joined by
# a veth pair (10.77.0.1 and 10.77.0.2), Open MPI's TCP transport between them, and a launcher
# agent that starts the second host's daemon inside its namespace, as ssh would on another
# machine. Both "hosts" share this machine's cores, so processes are not bound to cores (each
# host would bind its process to its core 0, the same core) and each runs one thread. Needs root
# (ip netns). Usage:
#   scripts/two_hosts.sh .build/release/neuron train --model lenet --epochs 1 --out runs/lenet-two-hosts
set -euo pipefail
[ $# -ge 1 ] || { echo "usage: $0 NEURON [ARGUMENTS…]" >&2; exit 2; }
command -v mpirun >/dev/null || { echo "two_hosts: mpirun not found; install openmpi-bin (make deps)" >&2; exit 1; }
[ "$(id -u)" = 0 ] || { echo "two_hosts: needs root to create network namespaces" >&2; exit 1; }

hosts=(neuron-host1 neuron-host2)
addresses=(10.77.0.1 10.77.0.2)
cleanup() { for h in "${hosts[@]}"; do ip netns del "$h" 2>/dev/null || true; done; rm -f "${agent:-}" "${hostfile:-}"; }
trap cleanup EXIT
cleanup
for i in 0 1; do
    ip netns add "${hosts[$i]}"
    ip -n "${hosts[$i]}" link set lo up
done
ip link add neuron-veth0 netns "${hosts[0]}" type veth peer name neuron-veth1 netns "${hosts[1]}"
for i in 0 1; do
    ip -n "${hosts[$i]}" addr add "${addresses[$i]}/24" dev "neuron-veth$i"
    ip -n "${hosts[$i]}" link set "neuron-veth$i" up
done

# What ssh does for mpirun: run the daemon's command line on the named host (its namespace).
agent=$(mktemp /tmp/neuron-agent.XXXXXX)
cat > "$agent" <<EOF
#!/bin/sh
host=\$1; shift
case "\$host" in
    ${addresses[1]}) exec ip netns exec ${hosts[1]} /bin/sh -c "\$*" ;;
    *) exec /bin/sh -c "\$*" ;;
esac
EOF
chmod +x "$agent"
hostfile=$(mktemp /tmp/neuron-hosts.XXXXXX)
printf '%s slots=1\n' "${addresses[@]}" > "$hostfile"

ip netns exec "${hosts[0]}" mpirun --allow-run-as-root -q --hostfile "$hostfile" -np 2 \
    --bind-to none -x OMP_NUM_THREADS=1 --mca plm_rsh_agent "$agent" --mca btl self,tcp \
    --mca btl_tcp_if_include 10.77.0.0/24 --mca oob_tcp_if_include 10.77.0.0/24 \
    "$@"

from .bifpn import BiFPN
from .bifpn_topology import FusionNode, bifpn_nodes, panet_nodes, parse_nodes

__all__ = ['BiFPN', 'FusionNode', 'bifpn_nodes', 'panet_nodes', 'parse_nodes']

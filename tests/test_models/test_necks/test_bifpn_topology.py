"""BiFPN node list."""
import pytest

from mmdet_efficientdet.models.necks import FusionNode, bifpn_nodes


def test_p3_p7_nodes_match_the_paper_graph():
    # inputs 0-4 are P3-P7; node k writes feature 5 + k
    assert bifpn_nodes(3, 7) == [
        FusionNode(6, (3, 4)),  # P6 td  = P6_in + up(P7_in)
        FusionNode(5, (2, 5)),  # P5 td
        FusionNode(4, (1, 6)),  # P4 td
        FusionNode(3, (0, 7)),  # P3 out = P3_in + up(P4 td)
        FusionNode(4, (1, 7, 8)),  # P4 out = P4_in + P4 td + down(P3 out)
        FusionNode(5, (2, 6, 9)),
        FusionNode(6, (3, 5, 10)),
        FusionNode(7, (4, 11)),  # P7 out = P7_in + down(P6 out)
    ]


def test_p3_p8_has_two_more_nodes():
    nodes = bifpn_nodes(3, 8)
    assert len(nodes) == 10
    assert nodes[0] == FusionNode(7, (4, 5))
    assert nodes[-1] == FusionNode(8, (5, 14))


def test_bad_levels():
    with pytest.raises(ValueError, match='max_level'):
        bifpn_nodes(5, 5)

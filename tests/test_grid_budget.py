import pytest
import torch

from ddif_core.budget import items_per_class, params_per_field, plan_field, values_per_instance
from ddif_core.grid import coordinate_grid


def test_grid_is_row_major_in_unit_cube():
    g = coordinate_grid((2, 3))
    assert g.shape == (6, 2)
    assert torch.allclose(g[:3, 0], torch.tensor([-1.0, -1.0, -1.0]))
    assert torch.allclose(g[:3, 1], torch.tensor([-1.0, 0.0, 1.0]))
    assert torch.allclose(g[-1], torch.tensor([1.0, 1.0]))


def test_grid_any_dimension_and_singleton_axis():
    g = coordinate_grid((4, 1, 5))
    assert g.shape == (20, 3)
    assert torch.all(g[:, 1] == 0)
    assert g.min() == -1 and g.max() == 1
    with pytest.raises(ValueError):
        coordinate_grid((0, 3))


@pytest.mark.parametrize(
    "n,L,d,m,expected",
    [(2, 2, 6, 3, 81), (2, 3, 20, 3, 963), (2, 3, 10, 1, 261), (3, 3, 20, 1, 941), (3, 6, 40, 3, 8483),
     (2, 2, 6, 1, 67), (2, 2, 10, 3, 173), (2, 2, 15, 3, 333), (2, 3, 40, 3, 3523)],
)
def test_params_per_field_matches_paper(n, L, d, m, expected):
    assert params_per_field(n, L, d, m) == expected


@pytest.mark.parametrize(
    "shape,ipc,b,expected",
    [((3, 32, 32), 1, 81, 37), ((3, 128, 128), 1, 963, 51), ((3, 32, 32), 10, 333, 92),
     ((1, 28, 28), 1, 67, 11), ((3, 256, 256), 1, 3523, 55), ((1, 32, 32, 32), 1, 941, 34)],
)
def test_items_per_class(shape, ipc, b, expected):
    assert items_per_class(ipc, shape, b) == expected


def test_values_and_planner():
    assert values_per_instance((3, 128, 128)) == 49152
    assert plan_field((3, 32, 32), 1) == (2, 6)  # reproduces the paper's CIFAR-10 choice
    layers, width = plan_field((3, 128, 128), 1)
    assert layers == 3 and 20 <= width <= 26
    assert items_per_class(1, (3, 128, 128), params_per_field(2, layers, width, 3)) >= 37

"""Networks: A-Net, frozen S-Net backbones, attention, fusion, correlation. No tracking logic here."""

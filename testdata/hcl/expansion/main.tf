provider "azurerm" {
  features {}
}

variable "locations" {
  default = {
    paris     = "France Central"
    marseille = "francesouth"
    amsterdam = "West Europe"
  }
}

resource "azurerm_resource_group" "site" {
  for_each = var.locations
  name     = "rg-${each.key}"
  location = each.value
}

resource "azurerm_managed_disk" "scratch" {
  count                = 2
  name                 = "scratch-${count.index}"
  location             = azurerm_resource_group.site["paris"].location
  resource_group_name  = azurerm_resource_group.site["paris"].name
  storage_account_type = "Standard_LRS"
  create_option        = "Empty"
  disk_size_gb         = 32
}

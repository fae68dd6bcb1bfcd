"""Maps and exports for Shancheng Twin: draws a City and Results, computes nothing new."""

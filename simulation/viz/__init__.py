"""Teaching views: the data behind each figure (data), the plot functions (plots), colours and the
save helper (figure), the figure gallery of a run (gallery) and the teaching page's model (classroom)."""

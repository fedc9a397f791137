from django.urls import path

from tsuen.billing import views

app_name = "billing"

urlpatterns = [
    path("", views.claims, name="claims"),
    path("generate/", views.generate, name="generate"),
    path("claims/<int:claim_id>/", views.claim, name="claim"),
    path("claims/<int:claim_id>/submit/", views.submit, name="submit"),
    path("claims/<int:claim_id>/correct/", views.correct, name="correct"),
    path("claims/<int:claim_id>/claim.csv", views.claim_csv, name="claim_csv"),
    path("claims/<int:claim_id>/claim.pdf", views.claim_pdf, name="claim_pdf"),
    path("statements/<int:year>/<int:month>/", views.statement, name="statement"),
    path(
        "statements/<int:year>/<int:month>/statement.pdf", views.statement_pdf, name="statement_pdf"
    ),
]
